package rewrite

import "testing"

func TestCatalogueLocator(t *testing.T) {
	runLocators(t, []locatorCase{
		{"a catalogued field", "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nspec: {imageName: 'ghcr.io/cloudnative-pg/postgresql:17'}\n",
			[]string{"spec.imageName=ghcr.io/cloudnative-pg/postgresql:17"}},
		{"every item of a catalogued list", "apiVersion: postgresql.cnpg.io/v1\nkind: ImageCatalog\nspec: {images: [{major: 16, image: 'ghcr.io/a/pg:16'}, {major: 17, image: 'ghcr.io/a/pg:17'}]}\n",
			[]string{"spec.images[0].image=ghcr.io/a/pg:16", "spec.images[1].image=ghcr.io/a/pg:17"}},
		{"another group's kind of the same name is not catalogued", "apiVersion: example.com/v1\nkind: Cluster\nspec: {imageName: 'ghcr.io/x/y:1'}\n", []string{}},
		{"an absent field", "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nspec: {}\n", []string{}},
	}, catalogueLocator{})
}
